// The one private liblinphone symbol the phone line relies on (src/channels/ivr/stream.cpp): if a
// liblinphone upgrade drops or hides it, this fails before any call does.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>

#include "channels/ivr/ivr.hpp"
#include "channels/ivr/stream.hpp"

TEST(IvrStream, LinphoneStillExportsTheStreamAccessor) {
  EXPECT_NE(dlsym(RTLD_DEFAULT, "linphone_call_get_stream"), nullptr);
  EXPECT_NE(dlsym(RTLD_DEFAULT, "audio_stream_play"), nullptr);
}

TEST(IvrStream, NoCallNoPlayback) {
  EXPECT_FALSE(md::ivr::play_on_call(nullptr, "/nonexistent.wav"));
}

TEST(IvrWav, PromptsAreJoinedIntoOneFileWithItsDuration) {
  // Two 8 kHz 16-bit mono WAVs of 800 and 1600 samples: 100 ms + 200 ms.
  auto wav = [](std::size_t samples) {
    std::string pcm(samples * 2, '\x01');
    std::string h = "RIFF";
    auto put32 = [&](std::uint32_t v) {
      for (int i = 0; i < 4; ++i) h += static_cast<char>((v >> (8 * i)) & 0xff);
    };
    put32(static_cast<std::uint32_t>(36 + pcm.size()));
    h += "WAVEfmt ";
    put32(16);
    h += std::string("\x01\x00\x01\x00", 4);
    put32(8000);
    put32(16000);
    h += std::string("\x02\x00\x10\x00", 4);
    h += "data";
    put32(static_cast<std::uint32_t>(pcm.size()));
    return h + pcm;
  };
  std::string dir = testing::TempDir();
  std::FILE* a = std::fopen((dir + "/a.wav").c_str(), "wb");
  std::string wa = wav(800), wb = wav(1600);
  std::fwrite(wa.data(), 1, wa.size(), a);
  std::fclose(a);
  std::FILE* b = std::fopen((dir + "/b.wav").c_str(), "wb");
  std::fwrite(wb.data(), 1, wb.size(), b);
  std::fclose(b);
  EXPECT_EQ(md::ivr::concatenate_wav({dir + "/a.wav", dir + "/missing.wav", dir + "/b.wav"},
                                     dir + "/out.wav"),
            300);
  std::FILE* out = std::fopen((dir + "/out.wav").c_str(), "rb");
  ASSERT_NE(out, nullptr);
  std::fseek(out, 0, SEEK_END);
  EXPECT_EQ(std::ftell(out), 44 + 2400 * 2);
  std::fclose(out);
  EXPECT_EQ(md::ivr::concatenate_wav({dir + "/missing.wav"}, dir + "/none.wav"), 0);
}
