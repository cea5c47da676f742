# flow_table_bench: per-packet cost of the flow table at 1M flows against our bare decode loop,
# and pxdump's path against tshark -q -z conv,tcp (run as a process) on a file of the same traffic.
if(TARGET pcapxx_flow)
  add_executable(flow_table_bench ${CMAKE_CURRENT_LIST_DIR}/flow_table_bench.cpp)
  target_link_libraries(flow_table_bench PRIVATE pcapxx_core pcapxx_savefile pcapxx_layers pcapxx_flow fmt::fmt)
  pcapxx_warnings(flow_table_bench)
  set_target_properties(flow_table_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endif()
