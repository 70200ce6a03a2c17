package gen

import (
	"math"
	"math/rand/v2"
	"slices"
)

// sizeSigma shapes the log-normal spread of event sizes: with it, half of
// the default events hold fewer than about 50 attributes while the largest
// hold tens of thousands, as on instances fed by OSINT and sandbox exports.
const sizeSigma = 2.0

// eventSizes splits total attributes over n events, every event getting at
// least one, in log-normal proportions drawn from r. The sizes sum to total
// exactly.
func eventSizes(r *rand.Rand, n, total int) []int {
	sizes := make([]int, n)
	if n == 0 {
		return sizes
	}
	weights := make([]float64, n)
	sum := 0.0
	for i := range weights {
		weights[i] = math.Exp(sizeSigma * r.NormFloat64())
		sum += weights[i]
	}
	spare := total - n
	given := 0
	for i, w := range weights {
		sizes[i] = 1 + int(float64(spare)*w/sum)
		given += sizes[i] - 1
	}
	// The rounding remainder (fewer than n) goes to the largest events, one
	// each, which leaves the shape unchanged.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpDesc(weights[a], weights[b]) })
	for k := 0; given < spare; k = (k + 1) % n {
		sizes[order[k]]++
		given++
	}
	return sizes
}

func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}
