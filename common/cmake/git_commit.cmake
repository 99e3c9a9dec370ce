# Run at build time (cmake -P): writes OUT with the commit the tree was built from, and only when
# that changed, so a build after a commit recompiles one file instead of everything.
#   -DSOURCE_DIR=... -DOUT=... [-DCOMMIT=...]  (COMMIT: given by a build from a source tarball)
if(NOT COMMIT)
  execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR COMMIT STREQUAL "")
    set(COMMIT "unknown")
  else()
    # Tracked files changed since that commit: say so, the binary is not that commit.
    execute_process(COMMAND git -C "${SOURCE_DIR}" diff --quiet HEAD -- RESULT_VARIABLE dirty ERROR_QUIET)
    if(NOT dirty EQUAL 0)
      string(APPEND COMMIT "-dirty")
    endif()
  endif()
endif()
set(text "#pragma once\n// Generated at build time by common/cmake/git_commit.cmake.\n#define SW_GIT_COMMIT \"${COMMIT}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
