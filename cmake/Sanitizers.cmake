# ASan+UBSan for the whole build (tests, tools, library); libFuzzer adds its own flag per target.
if(PCAPXX_SANITIZE OR PCAPXX_FUZZ)
  set(_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${_san})
  add_link_options(${_san})
endif()

# The sanitizer pass is built optimized (RelWithDebInfo) to keep CI short, with assertions kept.
if(PCAPXX_SANITIZE)
  add_compile_options(-UNDEBUG)
endif()
