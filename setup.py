"""Builds ember.core, the C extension, from python/src/*.c and the library's
own sources src/**/*.c, so no separately installed libember is needed."""
import glob
import os

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def rel(pattern):
    return sorted(os.path.relpath(p, HERE) for p in glob.glob(os.path.join(HERE, pattern), recursive=True))


OPENBLAS_INCLUDES = [d for d in ("/usr/include/x86_64-linux-gnu/openblas-pthread",
                                 "/usr/include/aarch64-linux-gnu/openblas-pthread",
                                 "/usr/include/openblas") if os.path.isdir(d)]

core = Extension(
    "ember.core",
    sources=rel("python/src/*.c") + rel("src/**/*.c"),
    include_dirs=["include", "src"] + OPENBLAS_INCLUDES,
    define_macros=[("EMBER_BUILDING", None), ("_GNU_SOURCE", None)],
    extra_compile_args=["-std=c11", "-O2", "-fvisibility=hidden", "-Wall", "-Wextra",
                        "-Wno-unused-parameter", "-Wno-missing-field-initializers",
                        "-Wno-cast-function-type"],
    libraries=["lapacke", "openblas", "z", "m", "pthread"],
    depends=rel("include/*.h") + rel("src/**/*.h") + rel("python/src/*.h"),
)

setup(ext_modules=[core])
