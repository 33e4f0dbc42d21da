# What `cmake --install` puts under a prefix, the CMake package and pkg-config files through which
# another project uses it, and the Debian package `cpack -G DEB` builds from the same rules.
#
#   bin/simdml                      the program
#   lib/libsimdml.a                 the library (simdml::simdml, pkg-config simdml)
#   lib/libsimdml_blas.so.0         the BLAS ABI (simdml::blas, pkg-config simdml-blas)
#   include/simdml/                 the public headers
#   libexec/simdml/bench/           the benchmark programs simdml run starts
#   share/simdml/python/simdml_run/ the Python package simdml run and simdml history start
#   share/simdml/baselines/         the committed baselines they compare with
#   lib/cmake/simdml/, lib/pkgconfig/
include(CMakePackageConfigHelpers)

set(SIMDML_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/simdml)

install(TARGETS simdml simdml_blas EXPORT simdmlTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/simdml DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS simdml_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(SIMDML_BUILD_BENCHMARKS)
  install(TARGETS gemm_bench peak_bench activation_bench train_bench knn_bench
          RUNTIME DESTINATION ${SIMDML_INSTALL_PROGRAMDIR}/bench)
  if(TARGET instruction_counts)
    install(TARGETS instruction_counts RUNTIME DESTINATION ${SIMDML_INSTALL_PROGRAMDIR}/bench)
  endif()
endif()
install(DIRECTORY python/simdml_run DESTINATION ${SIMDML_INSTALL_DATADIR}/python
        FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
install(FILES tests/baselines/accuracy.json tests/baselines/instruction_counts.json
        DESTINATION ${SIMDML_INSTALL_DATADIR}/baselines)

install(EXPORT simdmlTargets NAMESPACE simdml:: DESTINATION ${SIMDML_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/simdmlConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/simdmlConfig.cmake
                              INSTALL_DESTINATION ${SIMDML_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/simdmlConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/simdmlConfig.cmake ${PROJECT_BINARY_DIR}/simdmlConfigVersion.cmake
        DESTINATION ${SIMDML_INSTALL_CMAKEDIR})

# The .pc files find the prefix from their own place (${pcfiledir}), so a tree unpacked anywhere
# works as well as one installed where it was configured.
file(RELATIVE_PATH SIMDML_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
foreach(pc simdml simdml-blas)
  configure_file(cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

# cpack -G DEB: a package installing under /usr. dpkg-shlibdeps reads the binaries' libraries
# (libgomp, zlib, libbenchmark, OpenBLAS) into Depends; simdml_run adds what it imports: numpy
# and scipy always, matplotlib (the report's plots) and torch (the training peer) when present.
set(CPACK_PACKAGE_NAME simdml)
set(CPACK_PACKAGE_VENDOR "simdml")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "simdml maintainers <simdml@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "python3, python3-numpy, python3-scipy")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3-matplotlib, valgrind, zlib1g-dev")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3-torch")
set(CPACK_GENERATOR DEB)
include(CPack)
