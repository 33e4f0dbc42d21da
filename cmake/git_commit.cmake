cmake_policy(VERSION 3.25)
# Writes OUTPUT (a header defining SIMDML_GIT_COMMIT) from `git describe` of SOURCE_DIR: the commit,
# with "-dirty" when the tree has uncommitted changes, or "unknown" outside a git checkout. Run at
# every build; configure_file rewrites the header only when the text changes, so nothing
# recompiles when the commit is the same.
execute_process(COMMAND git -C "${SOURCE_DIR}" describe --always --dirty --abbrev=12 --match=NeVeRmAtCh
                OUTPUT_VARIABLE SIMDML_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE git_failed ERROR_QUIET)
if(git_failed OR SIMDML_GIT_COMMIT STREQUAL "")
  set(SIMDML_GIT_COMMIT unknown)
endif()
file(CONFIGURE OUTPUT "${OUTPUT}" CONTENT "#pragma once\n#define SIMDML_GIT_COMMIT \"@SIMDML_GIT_COMMIT@\"\n" @ONLY)
