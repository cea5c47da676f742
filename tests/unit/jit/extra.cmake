# libpcap's own compiled programs are an oracle input for the JIT tests (never shipped).
find_library(PCAPXX_JIT_PCAP_LIB pcap REQUIRED)
target_link_libraries(${_name} PRIVATE ${PCAPXX_JIT_PCAP_LIB})
