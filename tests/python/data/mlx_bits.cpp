// mlx_bits.cpp -- prints MLX C++ random::bits (seed, n, width) for gen_random_mlx.py.
// g++ -std=c++20 -I$MLX/include mlx_bits.cpp -L$MLX/lib -lmlx -Wl,-rpath,$MLX/lib -o bits
#include "mlx/mlx.h"
#include <cstdio>
#include <cstdlib>
namespace mx = mlx::core;
// usage: bits seed n width  -> prints values
int main(int argc, char**argv){
  uint64_t seed=strtoull(argv[1],0,10); int n=atoi(argv[2]); int w=atoi(argv[3]);
  auto k=mx::random::key(seed);
  auto b=mx::random::bits({n},w,k, mx::Device::cpu);
  b=mx::astype(b,mx::uint32); mx::eval(b);
  auto p=b.data<uint32_t>();
  for(int i=0;i<n;i++) printf("%u ",p[i]); printf("\n");
}
