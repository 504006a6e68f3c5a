# `cmake --install`: the libraries, the tsu executable, every header under include/tsu/, and a CMake
# package, so that another project writes
#   find_package(tsu REQUIRED)
#   target_link_libraries(app PRIVATE tsu::tsu)      # and #include <tsu/tsu.hpp>
include(CMakePackageConfigHelpers)

# tsu::tsu is the API and everything under it, without the libtorch baselines.
add_library(tsu_all INTERFACE)
set_target_properties(tsu_all PROPERTIES EXPORT_NAME tsu)
target_link_libraries(tsu_all INTERFACE tsu_api)
add_library(tsu::tsu ALIAS tsu_all)

get_property(tsu_layers GLOBAL PROPERTY TSU_LAYERS)
install(TARGETS ${tsu_layers} tsu_all EXPORT tsuTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS tsu RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS tsu_neural LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})  # loaded at run time, not linked
install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tsu
        FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_SOURCE_DIR}/include/tsu/tsu.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tsu)
install(EXPORT tsuTargets NAMESPACE tsu:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tsu)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tsuConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/tsuConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tsu)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tsuConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tsuConfig.cmake ${PROJECT_BINARY_DIR}/tsuConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tsu)
