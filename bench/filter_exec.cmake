# Filter execution cost per packet: our JIT, our interpreter and libpcap's bpf_filter() on
# libpcap's own compiled program (the oracle, linked into this benchmark only).
if(TARGET pcapxx_filter)
  find_package(benchmark REQUIRED)
  find_library(PCAPXX_BENCH_PCAP_LIB pcap)
  if(PCAPXX_BENCH_PCAP_LIB)
    add_executable(filter_exec_bench ${CMAKE_CURRENT_SOURCE_DIR}/filter_exec_bench.cpp)
    target_link_libraries(filter_exec_bench PRIVATE pcapxx_core pcapxx_savefile pcapxx_filter
                          ${PCAPXX_BENCH_PCAP_LIB} benchmark::benchmark fmt::fmt)
    target_include_directories(filter_exec_bench PRIVATE ${CMAKE_SOURCE_DIR}/src)
    target_compile_definitions(filter_exec_bench PRIVATE
                               PCAPXX_SHARED_CAPTURES="${CMAKE_SOURCE_DIR}/../shared/captures")
    pcapxx_warnings(filter_exec_bench)
    set_target_properties(filter_exec_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  else()
    message(STATUS "bench: filter_exec_bench left out: no libpcap to compare with")
  endif()
endif()
