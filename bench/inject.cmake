# inject_bench: our sending paths against libpcap's pcap_inject (Debian's libpcap, linked into
# this benchmark only) and tcpreplay --topspeed, on veth in namespaces (bench/inject_bench.cpp).
if(TARGET pcapxx_inject AND TARGET pcapxx_savefile)
  find_library(PCAP_INJECT_ORACLE_LIB pcap)
  if(PCAP_INJECT_ORACLE_LIB)
    add_executable(inject_bench ${CMAKE_CURRENT_SOURCE_DIR}/inject_bench.cpp)
    target_link_libraries(inject_bench PRIVATE pcapxx_core pcapxx_savefile pcapxx_inject fmt::fmt
                          ${PCAP_INJECT_ORACLE_LIB})
    target_include_directories(inject_bench PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/tests)
    target_compile_definitions(inject_bench PRIVATE
      PCAPXX_SHARED_CAPTURES="${CMAKE_SOURCE_DIR}/../shared/captures")
    pcapxx_warnings(inject_bench)
    set_target_properties(inject_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  endif()
endif()
