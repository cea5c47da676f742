# Layer decoding/crafting against libtins (oracle), in one executable and one run. libtins
# (apt-get install libtins-dev) is linked into this benchmark only, never into the library.
if(TARGET pcapxx_layers)
  find_library(TINS_LIBRARY tins)
  find_path(TINS_INCLUDE_DIR tins/tins.h)
  if(TINS_LIBRARY AND TINS_INCLUDE_DIR)
    add_executable(layers_libtins_bench ${CMAKE_CURRENT_SOURCE_DIR}/layers_libtins_bench.cpp)
    target_include_directories(layers_libtins_bench SYSTEM PRIVATE ${TINS_INCLUDE_DIR})
    target_link_libraries(layers_libtins_bench PRIVATE pcapxx_core pcapxx_savefile pcapxx_layers ${TINS_LIBRARY}
                          fmt::fmt)
    target_compile_definitions(layers_libtins_bench
                               PRIVATE PCAPXX_SHARED_CAPTURES="${CMAKE_SOURCE_DIR}/../shared/captures")
    pcapxx_warnings(layers_libtins_bench)
    set_target_properties(layers_libtins_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  else()
    message(STATUS "bench: layers_libtins_bench left out: libtins not found (apt-get install libtins-dev)")
  endif()
endif()
