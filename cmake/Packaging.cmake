# Install rules for the C++ library's CMake package (pcapxx::pcapxx), its pkg-config file and
# pxdump's page; the C ABI (libpcap.so.0.8) has its own in src/capi/CMakeLists.txt.
# `cmake --install build --prefix P` then lets a consumer use find_package(pcapxx) or
# `pkg-config pcapxx` with P in CMAKE_PREFIX_PATH / PKG_CONFIG_PATH.
include(CMakePackageConfigHelpers)

set(_cmakedir lib/cmake/pcapxx)
install(EXPORT pcapxxTargets NAMESPACE pcapxx:: FILE pcapxx-targets.cmake DESTINATION ${_cmakedir})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/pcapxx-config.cmake.in
  ${CMAKE_BINARY_DIR}/pcapxx-config.cmake INSTALL_DESTINATION ${_cmakedir})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/pcapxx-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/pcapxx-config.cmake ${CMAKE_BINARY_DIR}/pcapxx-config-version.cmake
  DESTINATION ${_cmakedir})

# pkg-config files are written at install time, so the prefix given to `cmake --install
# --prefix` is the one they name.
install(CODE "
  set(PROJECT_VERSION ${PROJECT_VERSION})
  set(CMAKE_INSTALL_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(${CMAKE_SOURCE_DIR}/cmake/pcapxx.pc.in \"\${CMAKE_INSTALL_PREFIX}/lib/pkgconfig/pcapxx.pc\" @ONLY)
  message(STATUS \"Installing: \${CMAKE_INSTALL_PREFIX}/lib/pkgconfig/pcapxx.pc\")
")

# pxdump's page is Markdown (docs/pxdump.md), installed as it is and, where go-md2man is
# present (scripts/install-deps.sh installs it), as the man page pxdump(1).
install(FILES ${CMAKE_SOURCE_DIR}/docs/pxdump.md DESTINATION share/doc/pcapxx)
find_program(PCAPXX_GO_MD2MAN go-md2man)
if(PCAPXX_GO_MD2MAN AND TARGET pxdump)
  set(_man ${CMAKE_BINARY_DIR}/man/pxdump.1)
  add_custom_command(OUTPUT ${_man}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND ${CMAKE_COMMAND} -DGO_MD2MAN=${PCAPXX_GO_MD2MAN} -DIN=${CMAKE_SOURCE_DIR}/docs/pxdump.md
            -DOUT=${_man} -P ${CMAKE_SOURCE_DIR}/cmake/md2man.cmake
    DEPENDS ${CMAKE_SOURCE_DIR}/docs/pxdump.md ${CMAKE_SOURCE_DIR}/cmake/md2man.cmake
    COMMENT "man page pxdump.1 from docs/pxdump.md")
  add_custom_target(pxdump_man ALL DEPENDS ${_man})
  if(TARGET unit_capi)  # its install test runs `cmake --install` on this build
    add_dependencies(unit_capi pxdump_man)
  endif()
  install(FILES ${_man} DESTINATION share/man/man1)
elseif(TARGET pxdump)
  message(STATUS "pxdump.1 left out: go-md2man not found (scripts/install-deps.sh installs it)")
endif()
