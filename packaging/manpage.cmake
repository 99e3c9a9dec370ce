# Run at build time (cmake -P): writes OUT, a gzipped man page for the binary BIN made from its
# own --help and --version, so the page says what the binary does and never drifts from it.
#   -DBIN=path/to/binary -DNAME=stockwire-agent -DPACKAGE=stockwire-agent -DOUT=.../stockwire-agent.1.gz
execute_process(COMMAND ${BIN} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${BIN} --help failed (${rc})")
endif()
execute_process(COMMAND ${BIN} --version OUTPUT_VARIABLE version_text)
string(REGEX MATCH "^[^\n]*" version_line "${version_text}")
string(REGEX REPLACE "^[^ ]+ " "" version "${version_line}")

# NAME: the first sentence of the first paragraph ("name: what it does.").
string(FIND "${help}" "\n\n" end)
string(SUBSTRING "${help}" 0 ${end} about)
string(REPLACE "\n" " " about "${about}")
string(REGEX REPLACE "^${NAME}: " "" about "${about}")
string(REGEX REPLACE "\\. .*$" "" about "${about}")
string(REGEX REPLACE "\\.$" "" about "${about}")

# roff: a backslash is \e; a line starting with . or ' would be a request: \& before it.
string(REPLACE "\\" "\\e" body "${help}")
string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" body "${body}")
string(TOUPPER "${NAME}" upper)
set(page ".TH ${upper} 1 \"\" \"stockwire ${version}\" \"Stockwire\"
.SH NAME
${NAME} \\- ${about}
.SH DESCRIPTION
What
.B ${NAME} --help
prints:
.PP
.nf
${body}.fi
.SH SEE ALSO
/usr/share/doc/${PACKAGE}/ and the project's README.
")
get_filename_component(dir "${OUT}" DIRECTORY)
string(REGEX REPLACE "\\.gz$" "" plain "${OUT}")
file(WRITE "${plain}" "${page}")
execute_process(COMMAND gzip -9nf "${plain}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip ${plain} failed")
endif()
