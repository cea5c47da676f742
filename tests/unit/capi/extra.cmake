# Sanitizer builds: programs run on our ASan-instrumented libpcap.so.0.8 need the ASan runtime
# preloaded (see tests/diff/capi/through_ours.hpp).
if(PCAPXX_ASAN_RUNTIME)
  target_compile_definitions(${_name} PRIVATE PCAPXX_ASAN_RUNTIME="${PCAPXX_ASAN_RUNTIME}")
endif()
# The install test builds consumers with the build's compilers (sanitized like the library).
target_compile_definitions(${_name} PRIVATE PCAPXX_TEST_CC="${CMAKE_C_COMPILER}"
                           PCAPXX_TEST_CXX="${CMAKE_CXX_COMPILER}")
