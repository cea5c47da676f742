# Layer decoding/crafting against the oracles, on the same generated captures in one run
# (bench/layers_oracles.sh prints the table):
#   layers_libtins_bench  ours and libtins (apt-get install libtins-dev), linked into this
#                         benchmark only, never into the library;
#   layers_gopacket       gopacket (bench/gopacket/, Go), built offline from Debian's
#                         golang-github-google-gopacket-dev sources (GOPATH mode, no module proxy).
if(TARGET pcapxx_layers)
  find_library(TINS_LIBRARY tins)
  find_path(TINS_INCLUDE_DIR tins/tins.h)
  if(TINS_LIBRARY AND TINS_INCLUDE_DIR)
    add_executable(layers_libtins_bench ${CMAKE_CURRENT_SOURCE_DIR}/layers_libtins_bench.cpp)
    target_include_directories(layers_libtins_bench SYSTEM PRIVATE ${TINS_INCLUDE_DIR})
    target_link_libraries(layers_libtins_bench PRIVATE pcapxx_core pcapxx_savefile pcapxx_layers ${TINS_LIBRARY}
                          fmt::fmt)
    pcapxx_warnings(layers_libtins_bench)
    set_target_properties(layers_libtins_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  else()
    message(STATUS "bench: layers_libtins_bench left out: libtins not found (apt-get install libtins-dev)")
  endif()
endif()

find_program(PCAPXX_GO go)
set(PCAPXX_GOPATH /usr/share/gocode)
if(PCAPXX_GO AND EXISTS ${PCAPXX_GOPATH}/src/github.com/google/gopacket/layers)
  set(_gopacket_bin ${CMAKE_BINARY_DIR}/bin/layers_gopacket)
  add_custom_command(
    OUTPUT ${_gopacket_bin}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/bin
    COMMAND ${CMAKE_COMMAND} -E env GO111MODULE=off GOPATH=${PCAPXX_GOPATH} GOPROXY=off GOFLAGS=
            GOCACHE=${CMAKE_BINARY_DIR}/gocache ${PCAPXX_GO} build -o ${_gopacket_bin} .
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/gopacket
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/gopacket/main.go
    COMMENT "Building the gopacket oracle bench/gopacket (go build, offline)"
    VERBATIM)
  add_custom_target(layers_gopacket ALL DEPENDS ${_gopacket_bin})
else()
  message(STATUS "bench: layers_gopacket left out: no go or no gopacket sources "
                 "(apt-get install golang-go golang-github-google-gopacket-dev)")
endif()
