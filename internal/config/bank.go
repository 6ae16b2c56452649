package config

import (
	"strings"

	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
)

// checkBankProfiles checks the bank_profiles section as the CSV reader will use it.
func checkBankProfiles(ps []bankcsv.Profile) error {
	return bankcsv.CheckProfiles(ps)
}

// profileNames shows the bank profiles by name.
func profileNames(ps []bankcsv.Profile) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}

	return "[" + strings.Join(names, ", ") + "]"
}
