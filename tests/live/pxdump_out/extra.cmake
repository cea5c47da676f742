# The tests run the pxdump binary: build it first.
add_dependencies(${_name} pxdump)
