#include "pseudo_terminal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sw::emulator {

bool PseudoTerminal::open(const std::string& link, std::string* error) {
  close();
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) {
    *error = std::string("cannot create a pseudo-terminal: ") + std::strerror(errno);
    if (m >= 0) ::close(m);
    return false;
  }
  const char* name = ptsname(m);
  if (!name) {
    *error = "ptsname failed";
    ::close(m);
    return false;
  }
  int s = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0) {
    *error = std::string("cannot open ") + name + ": " + std::strerror(errno);
    ::close(m);
    return false;
  }
  termios tio{};
  tcgetattr(s, &tio);
  cfmakeraw(&tio);
  tcsetattr(s, TCSANOW, &tio);
  int flags = fcntl(m, F_GETFL);
  fcntl(m, F_SETFL, flags | O_NONBLOCK);
  master_ = m;
  slave_ = s;
  slave_path_ = name;
  link_ = link;
  if (!link_.empty()) {
    // Atomic replace: create a temporary symlink, rename it over the old one.
    std::string tmp = link_ + ".tmp";
    ::unlink(tmp.c_str());
    if (::symlink(slave_path_.c_str(), tmp.c_str()) != 0 || ::rename(tmp.c_str(), link_.c_str()) != 0) {
      *error = "cannot point " + link_ + " at " + slave_path_ + ": " + std::strerror(errno);
      close();
      return false;
    }
  }
  return true;
}

void PseudoTerminal::close() {
  if (!link_.empty()) ::unlink(link_.c_str());
  if (slave_ >= 0) ::close(slave_);
  if (master_ >= 0) ::close(master_);
  slave_ = master_ = -1;
}

}  // namespace sw::emulator
