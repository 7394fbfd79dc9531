// Command hello stands in for the plugin in hack/dist's tests.
package main

import "fmt"

func main() { fmt.Println("hello") }
