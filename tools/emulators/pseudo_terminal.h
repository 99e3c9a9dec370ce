#pragma once
// Adapter: a pseudo-terminal pair for emulated devices. The emulator owns the master side;
// the program under test opens the slave path like a real serial port. The emulator keeps
// its own slave descriptor open in raw mode, so bytes sent before the client opens the
// port wait in the line discipline unchanged (no echo, no line editing), exactly as a
// real UART's receive buffer would hold them.

#include <string>

namespace sw::emulator {

class PseudoTerminal {
 public:
  PseudoTerminal() = default;
  ~PseudoTerminal() { close(); }
  PseudoTerminal(const PseudoTerminal&) = delete;
  PseudoTerminal& operator=(const PseudoTerminal&) = delete;

  // Creates a new pair; if link is not empty, points the symlink at the new slave path.
  bool open(const std::string& link, std::string* error);
  // Hangs up: the client sees EIO/POLLHUP, as when a USB device is pulled out.
  void close();
  bool isOpen() const { return master_ >= 0; }
  int masterFd() const { return master_; }
  const std::string& slavePath() const { return slave_path_; }

 private:
  int master_ = -1;
  int slave_ = -1;
  std::string slave_path_;
  std::string link_;
};

}  // namespace sw::emulator
