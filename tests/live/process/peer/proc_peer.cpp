// proc_peer: the known processes of the process-attribution tests. Each mode does one small
// thing over the network and exits, so a test knows which pid owns which flow.
//   proc_peer tcp ADDR PORT LOCAL_PORT        connect from LOCAL_PORT, send, read to EOF
//   proc_peer udp ADDR PORT LOCAL_PORT N MS   N datagrams MS ms apart, unconnected (sendto)
//   proc_peer udpc ADDR PORT LOCAL_PORT N MS  the same over a connected socket (send)
//   proc_peer serve ADDR PORT                 accept one connection, reply, linger 300 ms, exit
//   proc_peer servemany ADDR PORT N LINGER_MS accept N connections, reply and close each at once
//                                             (FIN and RST in turn), keep listening LINGER_MS
//   proc_peer churn ADDR PORT MS WORKERS [RATE]
//                                             WORKERS processes make connection after connection
//                                             (connect, send, read to EOF, close) for MS ms; with
//                                             RATE, at most RATE connections/s in all
//   proc_peer launch                          reads "spawn ARGS..." (answers the pid) and
//                                             "wait PID" (answers the exit status) on stdin, so
//                                             that tests start processes with a small parent
// LOCAL_PORT 0 lets the kernel choose.
#include <arpa/inet.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

int fail(const char* what) {
  std::fprintf(stderr, "proc_peer: %s: %s\n", what, std::strerror(errno));
  return 1;
}

socklen_t make_addr(const char* text, int port, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    return sizeof *v4;
  }
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    return sizeof *v6;
  }
  return 0;
}

int bound_socket(int family, int type, int local_port) {
  int fd = socket(family, type, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (local_port != 0) {
    sockaddr_storage ss{};
    socklen_t len = make_addr(family == AF_INET ? "0.0.0.0" : "::", local_port, ss);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return -1;
  }
  return fd;
}

void sleep_ms(int ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, nullptr);
}

}  // namespace

int launch(const char* self) {
  char line[1024];
  while (std::fgets(line, sizeof line, stdin) != nullptr) {
    char* args[16];
    int n = 0;
    for (char* tok = std::strtok(line, " \n"); tok != nullptr && n < 15; tok = std::strtok(nullptr, " \n")) args[n++] = tok;
    args[n] = nullptr;
    if (n >= 1 && std::strcmp(args[0], "spawn") == 0) {
      args[0] = const_cast<char*>(self);
      pid_t pid = 0;
      // Children write nowhere near the answer channel.
      posix_spawn_file_actions_t fa;
      posix_spawn_file_actions_init(&fa);
      posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
      int rc = posix_spawn(&pid, self, &fa, nullptr, args, environ);
      posix_spawn_file_actions_destroy(&fa);
      std::printf("%d\n", rc == 0 ? pid : -rc);
    } else if (n == 2 && std::strcmp(args[0], "wait") == 0) {
      int status = 0;
      pid_t pid = std::atoi(args[1]);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      std::printf("%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
    } else {
      std::printf("-1\n");
    }
    std::fflush(stdout);
  }
  return 0;
}

long now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int churn(const sockaddr_storage& peer, socklen_t len, int ms, int workers, int rate) {
  long end = now_ms() + ms;
  for (int w = 0; w < workers; ++w) {
    if (fork() != 0) continue;
    char buf[64];
    // Paced: each worker starts its connections on a fixed schedule (rate / workers per second).
    long period_ns = rate > 0 ? 1000000000L * workers / rate : 0;
    timespec next{};
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (now_ms() < end) {
      if (period_ns > 0) {
        next.tv_nsec += period_ns;
        next.tv_sec += next.tv_nsec / 1000000000L;
        next.tv_nsec %= 1000000000L;
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
      }
      int fd = socket(peer.ss_family, SOCK_STREAM, 0);
      if (fd < 0) _exit(1);
      if (connect(fd, reinterpret_cast<const sockaddr*>(&peer), len) == 0 && write(fd, "ping", 4) == 4) {
        while (read(fd, buf, sizeof buf) > 0) {
        }
      }
      close(fd);
    }
    _exit(0);
  }
  int status = 0, failed = 0;
  while (wait(&status) > 0) failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return failed == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "launch") == 0) return launch(argv[0]);
  if (argc < 4) {
    std::fprintf(stderr, "usage: proc_peer tcp|udp|udpc|serve|servemany|churn ADDR PORT [ARGS...]\n");
    return 2;
  }
  const char* mode = argv[1];
  sockaddr_storage peer{};
  socklen_t len = make_addr(argv[2], std::atoi(argv[3]), peer);
  if (len == 0) return fail("address");
  int local_port = argc > 4 ? std::atoi(argv[4]) : 0;
  char buf[512];
  if (std::strcmp(mode, "tcp") == 0) {
    int fd = bound_socket(peer.ss_family, SOCK_STREAM, local_port);
    if (fd < 0) return fail("socket");
    if (connect(fd, reinterpret_cast<sockaddr*>(&peer), len) != 0) return fail("connect");
    if (write(fd, "ping", 4) != 4) return fail("write");
    while (read(fd, buf, sizeof buf) > 0) {
    }
    return 0;
  }
  if (std::strcmp(mode, "udp") == 0 || std::strcmp(mode, "udpc") == 0) {
    int n = argc > 5 ? std::atoi(argv[5]) : 1;
    int gap = argc > 6 ? std::atoi(argv[6]) : 0;
    int fd = bound_socket(peer.ss_family, SOCK_DGRAM, local_port);
    if (fd < 0) return fail("socket");
    bool connected = mode[3] == 'c';
    if (connected && connect(fd, reinterpret_cast<sockaddr*>(&peer), len) != 0) return fail("connect");
    for (int i = 0; i < n; ++i) {
      ssize_t r = connected ? send(fd, "datagram", 8, 0)
                            : sendto(fd, "datagram", 8, 0, reinterpret_cast<sockaddr*>(&peer), len);
      if (r != 8) return fail("send");
      if (gap > 0) sleep_ms(gap);
    }
    return 0;
  }
  if (std::strcmp(mode, "churn") == 0 && argc >= 6) return churn(peer, len, std::atoi(argv[4]), std::atoi(argv[5]), argc > 6 ? std::atoi(argv[6]) : 0);
  if (std::strcmp(mode, "servemany") == 0 && argc >= 6) {
    // N connections, each answered and closed at once: even ones with a FIN (the server's
    // socket waits in TIME_WAIT, without an inode), odd ones with a RST (SO_LINGER 0: the
    // socket is gone). The listener stays open for LINGER_MS after the last.
    int n = std::atoi(argv[4]);
    int fd = socket(peer.ss_family, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&peer), len) != 0 || listen(fd, 64) != 0) return fail("listen");
    for (int i = 0; i < n; ++i) {
      int c = accept(fd, nullptr, nullptr);
      if (c < 0) return fail("accept");
      (void)read(c, buf, sizeof buf);
      if (write(c, "pong", 4) != 4) return fail("write");
      if (i % 2 == 1) {
        linger l{1, 0};
        setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      }
      close(c);
    }
    sleep_ms(std::atoi(argv[5]));
    return 0;
  }
  if (std::strcmp(mode, "serve") == 0) {
    int fd = socket(peer.ss_family, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&peer), len) != 0 || listen(fd, 8) != 0) return fail("listen");
    int c = accept(fd, nullptr, nullptr);
    if (c < 0) return fail("accept");
    (void)read(c, buf, sizeof buf);
    if (write(c, "pong", 4) != 4) return fail("write");
    // Wait for the client's close, so the connection ends before the server does.
    while (read(c, buf, sizeof buf) > 0) {
    }
    // A server outlives its connections; a short linger stands for that.
    sleep_ms(300);
    return 0;
  }
  std::fprintf(stderr, "proc_peer: unknown mode %s\n", mode);
  return 2;
}
