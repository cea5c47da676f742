# filter_compile_bench: compile time of the filter corpus and of 10/100/1,000-term host, net and
# port disjunctions, ours against `tcpdump -d` run as a process (its start-up, measured with a
# trivial filter, subtracted), with the ratio and our peak memory per term.
if(TARGET pcapxx_filter)
  add_executable(filter_compile_bench ${CMAKE_CURRENT_LIST_DIR}/filter_compile_bench.cpp)
  target_link_libraries(filter_compile_bench PRIVATE pcapxx_core pcapxx_filter fmt::fmt)
  target_include_directories(filter_compile_bench PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/tests)
  pcapxx_warnings(filter_compile_bench)
  set_target_properties(filter_compile_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endif()
