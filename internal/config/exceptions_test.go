package config

import (
	"strings"
	"testing"
)

func TestExceptionSettings(t *testing.T) {
	t.Setenv("O2C_DATA_DIR", "/srv/o2c/pg")

	cfg, err := load(writeFile(t, "exceptions:\n  writeoff_reasons: [fee, typo_2]\n"+
		"  writeoff_approval_limit: {JPY: 1000, \"*\": 0}\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}

	got := cfg.Exceptions
	if strings.Join(got.WriteOffReasons, ",") != "fee,typo_2" ||
		got.WriteOffApprovalLimit["JPY"] != 1000 || got.WriteOffApprovalLimit["*"] != 0 ||
		got.WriteOffApprovalLimit["EUR"] != 5000 {
		t.Errorf("exceptions %+v: want the file's reasons, and its limits over the defaults",
			got)
	}

	for name, body := range map[string]string{
		"no reasons":     "writeoff_reasons: []",
		"upper case":     "writeoff_reasons: [Bank_Fee]",
		"twice":          "writeoff_reasons: [fee, fee]",
		"bad currency":   "writeoff_approval_limit: {EURO: 1}",
		"negative limit": "writeoff_approval_limit: {EUR: -1}",
		"decimal limit":  "writeoff_approval_limit: {EUR: \"50.00\"}",
	} {
		_, err := load(writeFile(t, "exceptions:\n  "+body+"\n"), noEnv)
		if err == nil || !strings.Contains(err.Error(), "exceptions.writeoff_") {
			t.Errorf("%s: err %v, want one naming the setting", name, err)
		}
	}
}
