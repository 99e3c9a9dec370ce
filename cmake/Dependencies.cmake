# Third-party libraries, all from Debian packages (tools/install-deps installs them).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(PahoMqttCpp REQUIRED)
find_package(OpenSSL REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(SERIALPORT REQUIRED IMPORTED_TARGET libserialport)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)

# Third-party headers are SYSTEM so their warnings do not fail our -Werror build.
get_target_property(_httplib_inc PkgConfig::HTTPLIB INTERFACE_INCLUDE_DIRECTORIES)
if(_httplib_inc)
  set_target_properties(PkgConfig::HTTPLIB PROPERTIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${_httplib_inc}")
endif()
