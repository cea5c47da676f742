# Live capture: CPU per packet (flood, full-ring drain, immediate-mode flood) and drop-free rate
# against libpcap (linked into this benchmark only, from capture_bench_libpcap.c), latency against
# libpcap in-process and tcpdump, fanout 1 vs 2 rings. Needs root; run bench/capture_bench.sh.
if(TARGET pcapxx_capture)
  find_library(PCAPXX_BENCH_CAPTURE_PCAP_LIB pcap)
  if(PCAPXX_BENCH_CAPTURE_PCAP_LIB)
    add_library(capture_bench_oracle OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/capture_bench_libpcap.c)
    add_executable(capture_bench ${CMAKE_CURRENT_SOURCE_DIR}/capture_bench.cpp $<TARGET_OBJECTS:capture_bench_oracle>)
    target_link_libraries(capture_bench PRIVATE pcapxx_core pcapxx_savefile pcapxx_filter pcapxx_capture
                          ${PCAPXX_BENCH_CAPTURE_PCAP_LIB} fmt::fmt pthread)
    target_include_directories(capture_bench PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/tests)
    target_compile_options(capture_bench PRIVATE -O2)
    pcapxx_warnings(capture_bench)
    set_target_properties(capture_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  else()
    message(STATUS "bench: capture_bench left out: no libpcap to compare with")
  endif()
endif()
