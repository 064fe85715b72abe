; A 32-bit load from a fresh block, used as an address: 0xbebebebe + 16, a canonical
; address in no mapping, so an ordinary page fault whose address is the pattern's low half.
; EXPECT: memboss: ERROR: segv
; EXPECT: the address 0xbebebece is memboss's uninitialized-memory pattern (4 bytes of it: a 32-bit load) + 16
; EXPECT: its bytes [0, 16) still hold that pattern
; EXPECT: memboss: END
; EXPECT-STATUS: 139
        extern  malloc, free
        global  main
        section .text
main:
        push    rbx
        mov     edi, 16
        call    malloc
        mov     rbx, rax
        mov     ecx, [rbx]              ; BUG: a 32-bit offset never written
        mov     rax, [rcx+16]           ; faults at 0xbebebece
        mov     rdi, rbx
        call    free
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
