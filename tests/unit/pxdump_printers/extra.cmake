# The protocol printers are compiled in directly (pxdump is an executable, not a library).
target_sources(${_name} PRIVATE
  ${CMAKE_SOURCE_DIR}/tools/pxdump/printers/text.cpp
  ${CMAKE_SOURCE_DIR}/tools/pxdump/printers/dns.cpp
  ${CMAKE_SOURCE_DIR}/tools/pxdump/printers/icmp.cpp
  ${CMAKE_SOURCE_DIR}/tools/pxdump/printers/icmp6.cpp
  ${CMAKE_SOURCE_DIR}/tools/pxdump/printers/igmp.cpp
  ${CMAKE_SOURCE_DIR}/tools/pxdump/printers/sctp.cpp
  ${CMAKE_SOURCE_DIR}/tools/pxdump/printers/gre.cpp
  ${CMAKE_SOURCE_DIR}/tools/pxdump/printers/vxlan.cpp
  ${CMAKE_SOURCE_DIR}/tools/pxdump/printers/geneve.cpp
  ${CMAKE_SOURCE_DIR}/tools/pxdump/printers/pppoe.cpp
  ${CMAKE_SOURCE_DIR}/tools/pxdump/printers/bootp.cpp
  ${CMAKE_SOURCE_DIR}/tools/pxdump/printers/ntp.cpp)
target_include_directories(${_name} PRIVATE ${CMAKE_SOURCE_DIR}/tools/pxdump)
