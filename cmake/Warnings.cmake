# Warnings are errors on our own code (STYLE.md); never on third-party headers.
function(pcapxx_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wcast-align -Wimplicit-fallthrough)
  if(PCAPXX_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
