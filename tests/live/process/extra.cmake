# The known processes the attribution tests start (tests/live/process/peer/proc_peer.cpp).
add_executable(proc_peer ${CMAKE_CURRENT_SOURCE_DIR}/live/process/peer/proc_peer.cpp)
pcapxx_warnings(proc_peer)
set_target_properties(proc_peer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_dependencies(live_process proc_peer)
# pxdump --process is tested through the binary.
add_dependencies(live_process pxdump)
# The churn test counts how many flows of exiting processes are attributed in time: it gets
# the machine to itself.
set(PCAPXX_TEST_PROPERTIES RUN_SERIAL TRUE)
