// The disk under the database, seen from outside without root: preloaded (LD_PRELOAD) into
// `meterdesk serve`, for the files of the directory of the file METERDESK_TEST_DISK_FULL names.
// - A full disk: while that file exists, writes to files in its directory (the database, its WAL,
//   its journal) may use up the number of bytes it holds (0 when empty), then get ENOSPC; a write
//   that crosses the last byte is cut short there, as write(2) on a full disk is. Removing the file
//   is space coming back. SQLite sees the same errno from the same calls as on a real full disk
//   (tests/e2e/durability_test.cpp keeps the tmpfs one for PostgreSQL, as root).
// - What reached the platter: each fsync/fdatasync of such a file appends its path to the file
//   METERDESK_TEST_DISK_SYNCS names, so a test can tell an acknowledged write was synced first.
// Nothing in meterdesk knows about it.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace {

std::mutex budget_mutex;
struct stat budget_of {};  // the marker whose bytes `left` counts down
long long left = 0;

template <typename F>
F next(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

// The path of `fd` when it is a file in the watched directory, else empty.
std::string watched(int fd) {
  const char* marker = std::getenv("METERDESK_TEST_DISK_FULL");
  const char* slash = marker ? std::strrchr(marker, '/') : nullptr;
  if (slash == nullptr) return {};
  const std::size_t dir_length = static_cast<std::size_t>(slash - marker) + 1;
  char link[64], target[4096];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(link, target, sizeof target - 1);
  if (n <= 0 || static_cast<std::size_t>(n) < dir_length ||
      std::strncmp(target, marker, dir_length) != 0)
    return {};
  return {target, static_cast<std::size_t>(n)};
}

// How many of `count` bytes a write to `fd` may put on the disk.
std::size_t room_for(int fd, std::size_t count) {
  const char* marker = std::getenv("METERDESK_TEST_DISK_FULL");
  struct stat st {};
  if (marker == nullptr || ::stat(marker, &st) != 0 || watched(fd).empty()) return count;
  std::lock_guard lock(budget_mutex);
  if (st.st_ino != budget_of.st_ino || st.st_mtim.tv_sec != budget_of.st_mtim.tv_sec ||
      st.st_mtim.tv_nsec != budget_of.st_mtim.tv_nsec) {
    budget_of = st;
    left = 0;
    if (std::FILE* f = std::fopen(marker, "r")) {
      if (std::fscanf(f, "%lld", &left) != 1) left = 0;
      std::fclose(f);
    }
  }
  const std::size_t allowed = left <= 0 ? 0
                              : count < static_cast<std::size_t>(left)
                                  ? count
                                  : static_cast<std::size_t>(left);
  left -= static_cast<long long>(allowed);
  return allowed;
}

void note_sync(int fd) {
  const char* log = std::getenv("METERDESK_TEST_DISK_SYNCS");
  if (log == nullptr) return;
  const std::string path = watched(fd);
  if (path.empty()) return;
  static const auto real_write = next<ssize_t (*)(int, const void*, std::size_t)>("write");
  const int out = ::open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (out < 0) return;
  const std::string line = path + "\n";
  [[maybe_unused]] ssize_t n = real_write(out, line.data(), line.size());
  ::close(out);
}

}  // namespace

extern "C" {

ssize_t write(int fd, const void* buf, std::size_t count) {
  static const auto real = next<ssize_t (*)(int, const void*, std::size_t)>("write");
  const std::size_t room = count == 0 ? 0 : room_for(fd, count);
  if (count != 0 && room == 0) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, buf, room);
}

ssize_t pwrite64(int fd, const void* buf, std::size_t count, off64_t offset) {
  static const auto real = next<ssize_t (*)(int, const void*, std::size_t, off64_t)>("pwrite64");
  const std::size_t room = count == 0 ? 0 : room_for(fd, count);
  if (count != 0 && room == 0) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, buf, room, offset);
}

ssize_t pwrite(int fd, const void* buf, std::size_t count, off_t offset) {
  return pwrite64(fd, buf, count, offset);
}

int fsync(int fd) {
  static const auto real = next<int (*)(int)>("fsync");
  const int rc = real(fd);
  if (rc == 0) note_sync(fd);
  return rc;
}

int fdatasync(int fd) {
  static const auto real = next<int (*)(int)>("fdatasync");
  const int rc = real(fd);
  if (rc == 0) note_sync(fd);
  return rc;
}

}  // extern "C"
