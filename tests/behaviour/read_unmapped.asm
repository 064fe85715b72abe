; A load from an address where nothing is mapped (16 TiB, far from the program, its heap,
; its libraries and its stack).
; EXPECT: memboss: ERROR: segv
; EXPECT: READ at
; EXPECT: memboss: END
; EXPECT-NOT: null-dereference
; EXPECT-STATUS: 139
        global  main
        section .text
main:
        push    rbx
        mov     rbx, 0x100000000000
        mov     rax, [rbx]
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
