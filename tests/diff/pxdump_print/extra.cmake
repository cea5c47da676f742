# The test runs the pxdump it was built with.
if(TARGET pxdump)
  add_dependencies(${_name} pxdump)
endif()
