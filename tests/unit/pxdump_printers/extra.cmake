# The tests run the pxdump they were built with (PCAPXX_BIN_DIR/pxdump) beside tcpdump.
if(TARGET pxdump)
  add_dependencies(${_name} pxdump)
endif()
