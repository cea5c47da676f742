# Warnings are errors on our own code (STYLE.md); never on third-party headers.
function(pcapxx_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wcast-align -Wimplicit-fallthrough)
  # GCC 12 reports impossible overlaps inside std::string at -O3 (GCC bug 105329).
  target_compile_options(${target} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
  if(PCAPXX_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
