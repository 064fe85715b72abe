; A pointer read from a field never written: a 24-byte node whose fields at offsets 0 and 16
; are set, but not the pointer at offset 8. The pointer is memboss's fresh fill,
; 0xbebebebebebebebe; following it is a general-protection fault. The report names the
; pattern, the register that held it, and the block and bytes it was read from.
; EXPECT: memboss: ERROR: segv
; EXPECT: register rcx = 0xbebebebebebebebe is memboss's uninitialized-memory pattern: a pointer was read from a heap block that was never written
; EXPECT: points into the 24-byte block at
; EXPECT: its bytes [8, 16) still hold that pattern: the pointer was most likely read from there
; EXPECT: that block was allocated by thread
; EXPECT-ANY: in main+ || in main 
; EXPECT: memboss: END
; EXPECT-NOT: null-dereference
; EXPECT-STATUS: 139
        extern  malloc, free
        global  main
        section .text
main:
        push    rbx
        mov     edi, 24
        call    malloc                  ; the allocation the report shows
        mov     rbx, rax
        mov     qword [rbx], 1          ; offset 0 written
        mov     qword [rbx+16], 2       ; offset 16 written; offset 8 never
        mov     rcx, [rbx+8]            ; BUG: reads the unwritten pointer field
        mov     rax, [rcx]              ; faults: non-canonical address
        mov     rdi, rbx
        call    free
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
