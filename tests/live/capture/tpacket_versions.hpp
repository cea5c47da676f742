// Live capture tests run once per TPACKET version:
//   INSTANTIATE_TEST_SUITE_P(Tpacket, Suite, ::testing::ValuesIn(kTpacketVersions), tpacket_version_name);
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <string>

#include <fmt/format.h>

#include "pcapxx/capture.hpp"

namespace pcapxx::test {

inline constexpr std::array kTpacketVersions = {TpacketVersion::v1, TpacketVersion::v2, TpacketVersion::v3};

/// The test-name suffix for a version: V1, V2, V3.
inline std::string tpacket_version_name(const ::testing::TestParamInfo<TpacketVersion>& p) {
  return fmt::format("V{}", static_cast<int>(p.param));
}

}  // namespace pcapxx::test
