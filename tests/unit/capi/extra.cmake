# Sanitizer builds: programs run on our ASan-instrumented libpcap.so.0.8 need the ASan runtime
# preloaded (see tests/diff/capi/through_ours.hpp).
if(PCAPXX_ASAN_RUNTIME)
  target_compile_definitions(${_name} PRIVATE PCAPXX_ASAN_RUNTIME="${PCAPXX_ASAN_RUNTIME}")
endif()
# The install test builds consumers with the build's compilers (sanitized like the library).
target_compile_definitions(${_name} PRIVATE PCAPXX_TEST_CC="${CMAKE_C_COMPILER}"
                           PCAPXX_TEST_CXX="${CMAKE_CXX_COMPILER}")
# The install test runs `cmake --install` on this build: everything installed must be built
# first, also when only this test is built (ninja unit_capi). pxdump.1 is made later, in
# cmake/Packaging.cmake, which adds itself to this list.
foreach(_installed pcapxx pcapxx_static pcapxx_capi pxdump)
  if(TARGET ${_installed})
    add_dependencies(${_name} ${_installed})
  endif()
endforeach()
