// The devices config keys and the weight arithmetic behind POST /v1/scale/read and receipts.

#include <gtest/gtest.h>

#include "sw/agent/devices.h"

namespace sw::agent {
namespace {

common::Result<DevicesConfig> parse(std::vector<std::string> argv) {
  std::set<std::string> names;
  for (const common::OptionSpec& o : deviceOptions()) names.insert(o.name);
  auto args = common::Args::parse(argv, names, {});
  if (!args) return args.error();
  return parseDevicesConfig(*args, "store-1");
}

TEST(DevicesConfig, PortsModelsAndDefaults) {
  auto none = parse({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->scanner_port.empty());
  EXPECT_TRUE(none->printer_port.empty());
  EXPECT_EQ(none->receipt_header, "store-1");
  auto c = parse({"--scanner", "/dev/ttyACM0", "--scanner-model", "ssi", "--scale", "/dev/ttyS0", "--printer", "/dev/ttyUSB0",
                  "--printer-settings", "115200,8N1,rtscts", "--drawer", "printer", "--drawer-model", "escpos-pin5"});
  ASSERT_TRUE(c.ok()) << c.error().toString();
  EXPECT_EQ(c->scanner_mode, fw::ScannerMode::kSsi);
  EXPECT_EQ(c->scale_model, fw::ScaleProtocol::kToledo);
  EXPECT_EQ(c->scale_settings.data_bits, 7);  // Toledo's usual 9600 7E1
  EXPECT_EQ(c->scale_settings.parity, fw::Parity::kEven);
  EXPECT_EQ(c->printer_settings.baud, 115200);
  EXPECT_TRUE(c->printer_settings.rts_cts);
  EXPECT_EQ(c->drawer_pin, 5);
  auto cas = parse({"--scale", "/dev/ttyS0", "--scale-model", "cas"});
  ASSERT_TRUE(cas.ok());
  EXPECT_EQ(cas->scale_settings.data_bits, 8);
}

TEST(DevicesConfig, MistakesAreRefused) {
  EXPECT_EQ(parse({"--drawer", "printer"}).error().code, "bad_option");  // no printer to kick through
  EXPECT_EQ(parse({"--scale-model", "acme"}).error().code, "bad_option");
  EXPECT_EQ(parse({"--scanner-model", "hid"}).error().code, "bad_option");
  EXPECT_EQ(parse({"--printer-model", "zpl"}).error().code, "bad_option");
  EXPECT_EQ(parse({"--drawer-model", "pin3"}).error().code, "bad_option");
  EXPECT_EQ(parse({"--scale-unit", "stone"}).error().code, "bad_option");
  EXPECT_EQ(parse({"--receipt-width", "8"}).error().code, "bad_option");
  EXPECT_EQ(parse({"--printer-settings", "fast"}).error().code, "bad_option");
  EXPECT_EQ(parse({"--drawer", "/dev/ttyS1", "--drawer-settings", "fast"}).error().code, "bad_option");
  EXPECT_EQ(parse({"--rcn-country", "XX"}).error().code, "bad_option");
}

TEST(DevicesWeights, GramsAndAmounts) {
  fw::WeightReading w;
  w.status = fw::WeightStatus::kStable;
  w.value = 1234;
  w.decimals = 3;
  w.unit = "kg";
  EXPECT_EQ(weightInGrams(w), 1234);
  w.value = 250;
  w.decimals = 2;
  w.unit = "lb";
  EXPECT_EQ(weightInGrams(w), 1134);  // 2.50 lb = 1133.98 g
  w.value = 100;
  w.decimals = 1;
  w.unit = "oz";
  EXPECT_EQ(weightInGrams(w), 283);  // 10.0 oz = 283.495 g
  w.value = 5005;
  w.decimals = 1;
  w.unit = "g";
  EXPECT_EQ(weightInGrams(w), 501);
  auto price = *common::Decimal::parse("3.49");
  EXPECT_EQ(weighedAmount(1234, price, "kg")->toString(), "4.31");   // 4.30666
  EXPECT_EQ(weighedAmount(1000, price, "g")->toString(), "3490.00");
  EXPECT_EQ(weighedAmount(454, price, "lb")->toString(), "3.49");    // 1.0009 lb
  EXPECT_EQ(weighedAmount(1134, *common::Decimal::parse("2.00"), "lb")->toString(), "5.00");
  EXPECT_EQ(weighedAmount(0, price, "kg")->toString(), "0.00");
  EXPECT_FALSE(weighedAmount(100, price, "each").has_value());
}

}  // namespace
}  // namespace sw::agent
