// Package leader makes a component single-active across processes with a
// PostgreSQL session advisory lock: of all processes running the same named
// component, one holds the lock and works; the others wait and take over
// when the holder stops or its connection dies.
package leader
