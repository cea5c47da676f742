# The injection tests build IP datagrams with the layers API, and run pxsend.
if(TARGET pcapxx_layers)
  target_link_libraries(${_name} PRIVATE pcapxx_layers)
endif()
if(TARGET pxsend)
  add_dependencies(${_name} pxsend)
endif()
find_package(GTest REQUIRED)
target_link_libraries(${_name} PRIVATE GTest::gmock)
