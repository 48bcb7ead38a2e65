//go:build !linux

package hnsw

func adviseHuge[T any](s []T) {}
