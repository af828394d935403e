# The floors of the house (ARCHITECTURE.md): a folder's code may include only
# the folders below it. Each library target compiles with an include root of
# its own, build/floors/<target>/, holding links to just the folders it may
# include, so `#include "eval/..."` in sim/ fails to compile, not only in
# review. (scripts/check_layout.py, run by ctest, names such lines too.)
#
# dffeval_floor(TARGET FOLDERS folder...): folders are paths relative to the
# source root ("common", "pipeline/cloud"); the target's own folder belongs in
# the list. The root is PUBLIC, so what links the target sees those folders
# as well, which are below it anyway.
function(dffeval_floor target)
  cmake_parse_arguments(F "" "" "FOLDERS" ${ARGN})
  set(root ${CMAKE_BINARY_DIR}/floors/${target})
  file(REMOVE_RECURSE ${root})
  foreach(folder ${F_FOLDERS})
    get_filename_component(parent ${root}/${folder} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/${folder} ${root}/${folder} SYMBOLIC)
  endforeach()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} INTERFACE ${root})
  else()
    target_include_directories(${target} PUBLIC ${root})
  endif()
endfunction()
