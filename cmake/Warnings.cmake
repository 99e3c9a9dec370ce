# sw_set_warnings(<target>): the project's warning set, errors when SW_WERROR is on.
function(sw_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow)
  if(SW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
