# The tests run the pxdump binary (and tcpdump, tshark, capinfos as oracles): build pxdump first.
add_dependencies(${_name} pxdump)
