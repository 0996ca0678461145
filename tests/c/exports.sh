#!/bin/sh
# exports.sh LIB -- fails if the shared library exports any symbol that is not
# part of the C API (every exported name must start with em_).
lib="$1"
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^em_' | grep -v '^_init$' | grep -v '^_fini$')
if [ -n "$bad" ]; then
  echo "symbols exported outside the C API:"; echo "$bad"; exit 1
fi
n=$(nm -D --defined-only "$lib" | grep -c ' em_')
echo "$n em_ symbols exported, no others"
echo "1 passed, 0 failed"
