#include "hyperion/collectors/sys_hwmon.hpp"

#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace hyperion::collectors;
using hyperion::test::read_fixture;

namespace {

std::string sensor(const std::string& path) {
  return read_fixture("synthetic-sensors/sys/class/" + path);
}

}  // namespace

TEST_CASE("sys_hwmon parsers: read the synthetic sensor tree", "[collectors][sys_hwmon]") {
  // Hand-made after docs.kernel.org/hwmon/sysfs-interface.html: the dev VM has no sensors.
  CHECK(parse_sysfs_label(sensor("hwmon/hwmon0/name")) == "coretemp");
  CHECK(parse_millidegrees(sensor("hwmon/hwmon0/temp1_input")).value_or(-999.0) == Approx(52.0));
  CHECK(parse_sysfs_label(sensor("hwmon/hwmon0/temp1_label")) == "Package id 0");
  CHECK(parse_millidegrees(sensor("hwmon/hwmon0/temp1_max")).value_or(-999.0) == Approx(84.0));
  CHECK(parse_millidegrees(sensor("hwmon/hwmon0/temp1_crit")).value_or(-999.0) == Approx(100.0));
  CHECK(parse_millidegrees(sensor("hwmon/hwmon0/temp2_input")).value_or(-999.0) == Approx(49.0));
  CHECK(parse_sysfs_label(sensor("hwmon/hwmon0/temp2_label")) == "Core 0");
  CHECK(parse_sysfs_label(sensor("hwmon/hwmon1/name")) == "nct6775");
  CHECK(parse_fan_rpm(sensor("hwmon/hwmon1/fan1_input")) == 1200u);
  CHECK(parse_sysfs_label(sensor("hwmon/hwmon1/fan1_label")) == "CPU Fan");
  CHECK(parse_millidegrees(sensor("hwmon/hwmon1/temp1_input")).value_or(-999.0) == Approx(38.5));
  CHECK(parse_sysfs_label(sensor("thermal/thermal_zone0/type")) == "x86_pkg_temp");
  CHECK(parse_millidegrees(sensor("thermal/thermal_zone0/temp")).value_or(-999.0) == Approx(45.0));
}

TEST_CASE("parse_millidegrees: units and limits", "[collectors][sys_hwmon]") {
  CHECK(parse_millidegrees("45000\n").value_or(-999.0) == Approx(45.0));
  CHECK(parse_millidegrees("45123").value_or(-999.0) == Approx(45.123));
  CHECK(parse_millidegrees("0\n").value_or(-999.0) == Approx(0.0));
  CHECK(parse_millidegrees("-5500\n").value_or(-999.0) == Approx(-5.5));  // an outdoor or cold-room probe
  CHECK(parse_millidegrees("+1000\n").value_or(-999.0) == Approx(1.0));
  CHECK(parse_millidegrees("-273150").value_or(-999.0) == Approx(-273.15));  // the limits themselves are kept
  CHECK(parse_millidegrees("1000000").value_or(-999.0) == Approx(1000.0));
}

TEST_CASE("parse_millidegrees: bad input gives nullopt", "[collectors][sys_hwmon]") {
  const auto [name, input] = GENERATE_REF(table<const char*, std::string>({
      {"empty (read failed with ENODATA)", ""},
      {"whitespace only", " \n"},
      {"below absolute zero", "-273151\n"},
      {"absurdly hot", "1000001\n"},
      {"all-ones register", "2147483647\n"},
      {"decimal point", "45.0\n"},
      {"non-numeric", "N/A\n"},
      {"two numbers", "45000 46000\n"},
      {"overflow", "99999999999999999999\n"},
      {"binary garbage", std::string("\x01\x02\xff\x00\x7f", 5)},
  }));
  INFO(name);
  CHECK_FALSE(parse_millidegrees(input).has_value());
}

TEST_CASE("parse_fan_rpm: values and bad input", "[collectors][sys_hwmon]") {
  CHECK(parse_fan_rpm("1200\n") == 1200u);
  CHECK(parse_fan_rpm("0\n") == 0u);  // a stopped fan is a reading
  CHECK(parse_fan_rpm(" 850 \n") == 850u);
  const auto [name, input] = GENERATE_REF(table<const char*, std::string>({
      {"empty", ""},
      {"negative", "-1\n"},
      {"non-numeric", "fast\n"},
      {"extra column", "1200 1300\n"},
      {"overflow", "18446744073709551616\n"},
      {"binary garbage", std::string("\x01\x02\xff\x00\x7f", 5)},
  }));
  INFO(name);
  CHECK_FALSE(parse_fan_rpm(input).has_value());
}

TEST_CASE("parse_sysfs_label: trims, keeps inner spaces", "[collectors][sys_hwmon]") {
  CHECK(parse_sysfs_label("Package id 0\n") == "Package id 0");
  CHECK(parse_sysfs_label("  Tctl \n") == "Tctl");
  CHECK(parse_sysfs_label("\n").empty());
  CHECK(parse_sysfs_label("").empty());
}

TEST_CASE("parse_hwmon_attribute_name: channel files", "[collectors][sys_hwmon]") {
  const auto [file, kind, index, item] =
      GENERATE(table<const char*, const char*, std::uint32_t, const char*>({
          {"temp3_input", "temp", 3, "input"},
          {"temp1_label", "temp", 1, "label"},
          {"temp1_crit_alarm", "temp", 1, "crit_alarm"},
          {"fan1_input", "fan", 1, "input"},
          {"in0_input", "in", 0, "input"},
          {"power1_average_interval", "power", 1, "average_interval"},
          {"humidity1_input", "humidity", 1, "input"},
          {"temp12_max", "temp", 12, "max"},
          {"pwm1", "pwm", 1, ""},
          {"pwm2_enable", "pwm", 2, "enable"},
      }));
  INFO(file);
  const auto a = parse_hwmon_attribute_name(file);
  REQUIRE(a.has_value());
  CHECK(a->kind == kind);
  CHECK(a->index == index);
  CHECK(a->item == item);
}

TEST_CASE("parse_hwmon_attribute_name: other files give nullopt", "[collectors][sys_hwmon]") {
  const auto [name, file] = GENERATE_REF(table<const char*, std::string>({
      {"empty", ""},
      {"name", "name"},
      {"uevent", "uevent"},
      {"update_interval", "update_interval"},
      {"no index", "temp_input"},
      {"index without kind", "1_input"},
      {"uppercase kind", "Temp1_input"},
      {"trailing underscore", "temp1_"},
      {"no underscore before item", "temp1input"},
      {"index overflows u32", "temp4294967296_input"},
      {"binary garbage", std::string("\x01\x02\xff\x00\x7f", 5)},
  }));
  INFO(name);
  CHECK_FALSE(parse_hwmon_attribute_name(file).has_value());
}
