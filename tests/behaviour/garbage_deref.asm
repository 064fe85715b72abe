; A pointer read from a fresh, never written malloc(64) block, then followed. In check mode
; the block is filled with 0xbe, so the pointer is 0xbebebebebebebebe: non-canonical, a
; general-protection fault whose si_addr is 0 — which must not be called a NULL dereference.
; EXPECT: memboss: ERROR: segv
; EXPECT: 0xbebebebebebebebe
; EXPECT: memboss: END
; EXPECT-NOT: null-dereference
; EXPECT-STATUS: 139
        extern  malloc, free
        global  main
        section .text
main:
        push    rbx
        mov     edi, 64
        call    malloc
        mov     rbx, rax
        mov     rcx, [rbx]              ; never written: the fill pattern
        mov     rax, [rcx]
        mov     rdi, rbx
        call    free
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
