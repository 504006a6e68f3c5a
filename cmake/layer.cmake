# tsu_add_layer(NAME): the library of one source folder (src/NAME), built from every .cpp in it,
# exported as tsu::NAME. Its headers are included as "NAME/file.hpp" from src/ in the tree and from
# include/tsu/ once installed.
function(tsu_add_layer name)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  add_library(tsu_${name} ${sources})
  add_library(tsu::${name} ALIAS tsu_${name})
  set_target_properties(tsu_${name} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(tsu_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/tsu>)
  if(TSU_SANITIZE)  # what links a sanitized library needs the sanitizer's runtime first, installed too
    target_link_options(tsu_${name} INTERFACE -fsanitize=${TSU_SANITIZE})
  endif()
  set_property(GLOBAL APPEND PROPERTY TSU_LAYERS tsu_${name})
endfunction()
