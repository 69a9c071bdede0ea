// Package geo knows the ISO 3166-1 alpha-2 country codes and the sales
// region (AMER, EMEA, APAC) each belongs to.
package geo
