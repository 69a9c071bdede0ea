package geo

import "strings"

// Region is a sales region.
type Region string

// The sales regions.
const (
	AMER Region = "AMER"
	EMEA Region = "EMEA"
	APAC Region = "APAC"
)

// Officially assigned ISO 3166-1 alpha-2 codes, by region.
const (
	amerCodes = "AG AI AR AW BB BL BM BO BQ BR BS BZ CA CL CO CR CU CW DM DO EC FK GD GF GL GP GT GY HN HT JM KN KY LC MF MQ MS MX NI PA PE PM PR PY SR SV SX TC TT US UY VC VE VG VI"
	emeaCodes = "AD AE AF AL AM AO AT AX AZ BA BE BF BG BH BI BJ BV BW BY CD CF CG CH CI CM CV CY CZ DE DJ DK DZ EE EG EH ER ES ET FI FO FR GA GB GE GG GH GI GM GN GQ GR GW HR HU IE IL IM IQ IR IS IT JE JO KE KM KW LB LI LR LS LT LU LV LY MA MC MD ME MG MK ML MR MT MU MW MZ NA NE NG NL NO OM PL PS PT QA RE RO RS RU RW SA SC SD SE SH SI SJ SK SL SM SN SO SS ST SY SZ TD TF TG TN TR TZ UA UG VA YE YT ZA ZM ZW"
	apacCodes = "AQ AS AU BD BN BT CC CK CN CX FJ FM GS GU HK HM ID IN IO JP KG KH KI KP KR KZ LA LK MH MM MN MO MP MV MY NC NF NP NR NU NZ PF PG PH PK PN PW SB SG TH TJ TK TL TM TO TV TW UM UZ VN VU WF WS"
)

// RegionOf returns the sales region of an ISO 3166-1 alpha-2 country code
// (upper case), and false for a code that is not assigned.
func RegionOf(country string) (Region, bool) {
	if len(country) != 2 {
		return "", false
	}
	for _, rc := range []struct {
		r     Region
		codes string
	}{{AMER, amerCodes}, {EMEA, emeaCodes}, {APAC, apacCodes}} {
		if i := strings.Index(rc.codes, country); i >= 0 && i%3 == 0 {
			return rc.r, true
		}
	}
	return "", false
}
