; A garbage pointer plus a field offset: the field at offset 8 of the structure a fresh,
; never written pointer points to. The address is 0xbebebebebebebec6, the fresh pattern + 8.
; EXPECT: memboss: ERROR: segv
; EXPECT: register rdx = 0xbebebebebebebec6 is memboss's uninitialized-memory pattern + 8 (a field at offset 8 of a garbage pointer)
; EXPECT: its bytes [0, 32) still hold that pattern
; EXPECT: memboss: END
; EXPECT-STATUS: 139
        extern  malloc, free
        global  main
        section .text
main:
        push    rbx
        mov     edi, 32
        call    malloc
        mov     rbx, rax
        mov     rcx, [rbx]              ; BUG: never written
        lea     rdx, [rcx+8]            ; &p->field
        mov     rax, [rdx]              ; faults
        mov     rdi, rbx
        call    free
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
