# process_attribution_bench: CPU of process attribution at the highest connection churn this host
# generates, against nethogs -t on the same churn (bench/process_attribution_bench.cpp). Uses the
# namespaces and processes of the live attribution tests (tests/live/process/).
if(TARGET pcapxx_process AND TARGET pcapxx_capture AND TARGET proc_peer)
  add_executable(process_attribution_bench ${CMAKE_CURRENT_SOURCE_DIR}/process_attribution_bench.cpp)
  target_link_libraries(process_attribution_bench PRIVATE pcapxx_core pcapxx_savefile pcapxx_filter pcapxx_capture pcapxx_layers
                        pcapxx_process fmt::fmt)
  target_include_directories(process_attribution_bench PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/tests)
  target_compile_definitions(process_attribution_bench PRIVATE PCAPXX_TEST_BIN_DIR="${CMAKE_BINARY_DIR}/tests")
  add_dependencies(process_attribution_bench proc_peer)
  pcapxx_warnings(process_attribution_bench)
  set_target_properties(process_attribution_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endif()
